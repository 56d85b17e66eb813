import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** One file inside an npm tarball (path without the leading `package/`). */
export interface TarballEntry {
  path: string;
  size: number;
  content: Buffer;
}

/** A packed npm tarball, read into memory (ours are a few kB). */
export interface Tarball {
  file: string;
  /** Bytes of the .tgz itself: what every install downloads. */
  packedBytes: number;
  /** Bytes of all files once unpacked. */
  unpackedBytes: number;
  entries: TarballEntry[];
  /** The package.json as published (after pnpm applied publishConfig and workspace ranges). */
  manifest: Record<string, unknown>;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length).toString('utf8');
  const end = raw.indexOf('\0');
  return end === -1 ? raw : raw.slice(0, end);
}

/** Read a .tgz as npm writes it: ustar headers, 512-byte blocks, regular files only. */
export function readTarball(file: string): Tarball {
  const gz = readFileSync(file);
  const tar = gunzipSync(gz);
  const entries: TarballEntry[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    const name = field(header, 0, 100);
    if (name === '') break;
    const prefix = field(header, 345, 155);
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = field(header, 156, 1);
    const full = prefix ? `${prefix}/${name}` : name;
    const body = offset + 512;
    if (type === '0' || type === '') {
      entries.push({
        path: full.replace(/^package\//, ''),
        size,
        content: Buffer.from(tar.subarray(body, body + size)),
      });
    }
    offset = body + Math.ceil(size / 512) * 512;
  }
  const manifestEntry = entries.find((entry) => entry.path === 'package.json');
  if (!manifestEntry) throw new Error(`${file} has no package/package.json`);
  return {
    file,
    packedBytes: gz.length,
    unpackedBytes: entries.reduce((sum, entry) => sum + entry.size, 0),
    entries,
    manifest: JSON.parse(manifestEntry.content.toString('utf8')) as Record<string, unknown>,
  };
}
