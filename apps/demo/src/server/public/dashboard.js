// The dashboard: polls the API once a second; no framework, no build step.
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = body;
    init.headers['content-type'] = 'text/plain; charset=utf-8';
  }
  const response = await fetch(path, init);
  const json = await response.json();
  if (!response.ok)
    throw new Error(json.error ? `${json.error.code}: ${json.error.message}` : response.statusText);
  return json;
}

function renderChart(top) {
  const chart = $('chart');
  if (top.length === 0) return;
  const max = Math.max(...top.map((entry) => entry.hits), 1);
  chart.replaceChildren(
    ...top.map(({ key, hits }) => {
      const row = document.createElement('div');
      row.className = 'row';
      row.dataset.key = key;
      const name = document.createElement('span');
      name.className = 'key';
      name.title = key;
      name.textContent = key;
      const track = document.createElement('div');
      track.className = 'track';
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = `${(hits / max) * 100}%`;
      track.append(bar);
      const count = document.createElement('span');
      count.className = 'hits';
      count.textContent = hits.toLocaleString();
      row.append(name, track, count);
      return row;
    }),
  );
}

function renderStats({ pool, sharedClient, tracker }) {
  $('stat-client').textContent = sharedClient.status;
  $('stat-size').textContent = pool.size;
  $('stat-idle').textContent = pool.idle;
  $('stat-borrowed').textContent = pool.borrowed;
  $('stat-pending').textContent = pool.pending;
  $('stat-wait').textContent = pool.waitMs.p99.toFixed(2);
  $('stat-calls').textContent = tracker.calls.toLocaleString();
  $('stat-buffered').textContent = tracker.pending.toLocaleString();
  const cache = tracker.cache;
  const looked = cache ? cache.hits + cache.misses : 0;
  $('stat-cache').textContent =
    looked > 0
      ? `${((100 * cache.hits) / looked).toFixed(1)} % of ${looked.toLocaleString()}`
      : '–';
}

async function refresh() {
  try {
    const [stats, top] = await Promise.all([api('GET', '/api/stats'), api('GET', '/api/top?n=10')]);
    renderStats(stats);
    renderChart(top.top);
    $('stat-redis').textContent = 'up';
  } catch (error) {
    $('stat-redis').textContent = 'down';
    $('stat-redis').title = error.message;
  }
}

function show(text, isError = false) {
  $('result').textContent = text;
  $('result').className = isError ? 'error' : '';
}

$('item-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('key').value;
  try {
    const saved = await api('PUT', `/api/items/${encodeURIComponent(key)}`, $('value').value);
    show(`stored ${saved.bytes} bytes at "${saved.key}"`);
  } catch (error) {
    show(error.message, true);
  }
});

$('read').addEventListener('click', async () => {
  try {
    const item = await api('GET', `/api/items/${encodeURIComponent($('key').value)}`);
    const windows = Object.entries(item.windows)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ');
    $('result').replaceChildren();
    show(
      `value: ${JSON.stringify(item.value)}\nhits: ${item.hits}   windows: ${windows}   unique visitors: ${item.uniques}`,
    );
    const hits = document.createElement('span');
    hits.id = 'hits';
    hits.hidden = true;
    hits.textContent = String(item.hits);
    $('result').append(hits);
  } catch (error) {
    show(error.message, true);
  }
});

$('load').addEventListener('click', async () => {
  $('load').disabled = true;
  $('status').textContent = 'generating load…';
  try {
    const report = await api('POST', '/api/load?calls=5000');
    $('status').textContent =
      `${report.calls.toLocaleString()} reads in ${report.ms} ms${report.errors ? `, ${report.errors} errors` : ''}`;
  } catch (error) {
    $('status').textContent = error.message;
  } finally {
    $('load').disabled = false;
  }
});

refresh();
setInterval(refresh, 1000);
