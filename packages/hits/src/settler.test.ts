import { describe, expect, it } from 'vitest';
import { Settler } from './settler.js';

describe('Settler', () => {
  it('settles at most a chunk per turn, in order, and asks for more turns while any wait', () => {
    let wakes = 0;
    const settler = new Settler(() => wakes++, 2);
    const done: number[] = [];
    for (let i = 0; i < 5; i++) settler.settle(() => done.push(i));
    expect(done).toEqual([0, 1]);
    expect(settler.pending).toBe(3);
    expect(wakes).toBeGreaterThan(0);
    settler.turn();
    expect(done).toEqual([0, 1, 2, 3]);
    settler.turn();
    expect(done).toEqual([0, 1, 2, 3, 4]);
    expect(settler.pending).toBe(0);
    // A fresh turn's budget settles at once again.
    settler.turn();
    settler.settle(() => done.push(5));
    expect(done).toHaveLength(6);
  });
});
