/** Random bytes as lowercase hex, for ids. crypto.randomUUID needs a secure context; this does not. */
export function randomHex(byteCount: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(byteCount));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
