// Text collected into one growing byte buffer instead of a string per item:
// `mailq` over 10 000 stopped entries keeps each entry's lines until the count
// for the header is known, and 10 000 retained strings (each a tree of joined
// parts) cost the young-generation collector more than reading the spool did.
// Owns: that buffer. Never: what the text says.

export class TextBuffer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private used = 0;

  append(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = this.used + text.length * 3;
    if (room > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(room, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** What was appended, as views of about `size` bytes each, cut only after a '\n'. */
  *pieces(size: number): Generator<Buffer> {
    let at = 0;
    while (at < this.used) {
      let end = Math.min(at + size, this.used);
      if (end < this.used) {
        const nl = this.buf.lastIndexOf(0x0a, end - 1);
        if (nl >= at) end = nl + 1;
      }
      yield this.buf.subarray(at, end);
      at = end;
    }
  }
}
