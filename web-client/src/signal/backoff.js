// @ts-check
// Reconnection delays (spec/peer-messages.md §5): exponential from 0.5 s, doubling, capped at
// 8 s, with "equal jitter" (each delay uniformly in [d/2, d]) so that the clients of a restarted
// gateway do not all come back in the same millisecond, while none waits longer than the cap.

export class Backoff {
  #minMs;
  #maxMs;
  #random;
  #attempt = 0;

  constructor({ minMs = 500, maxMs = 8000, random = Math.random } = {}) {
    this.#minMs = minMs;
    this.#maxMs = maxMs;
    this.#random = random;
  }

  /** The delay before the next attempt; each call counts one attempt. */
  next() {
    const d = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(d / 2 + (this.#random() * d) / 2);
  }

  /** After a successful reconnection. */
  reset() {
    this.#attempt = 0;
  }

  get attempts() {
    return this.#attempt;
  }
}
