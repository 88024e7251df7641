/** Growable typed-array columns: millions of products without an object per product. */
export class F64Column {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): number {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length] = v;
    return this.length++;
  }
  /** A copy of the filled part. */
  values(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

export class I32Column {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): number {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length] = v;
    return this.length++;
  }
  values(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** A FIFO queue of integers (ring buffer). */
export class IntQueue {
  private buf = new Int32Array(16);
  private head = 0;
  size = 0;
  push(v: number): void {
    if (this.size === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) b[i] = this.buf[(this.head + i) & (this.buf.length - 1)]!;
      this.buf = b;
      this.head = 0;
    }
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = v;
    this.size++;
  }
  peek(): number {
    return this.buf[this.head]!;
  }
  shift(): number {
    const v = this.buf[this.head]!;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return v;
  }
  /** Removes and returns everything queued. */
  drain(): number[] {
    const out: number[] = [];
    while (this.size > 0) out.push(this.shift());
    return out;
  }
}
