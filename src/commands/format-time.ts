// "in 42m", "3s ago": relative times for people reading status output.
export function formatWhen(at: number | undefined, now: number): string {
  if (at === undefined) return '-';
  const seconds = Math.round((at - now) / 1000);
  const size = Math.abs(seconds);
  const span = size >= 3600 ? `${(size / 3600).toFixed(1)}h` : size >= 60 ? `${Math.round(size / 60)}m` : `${size}s`;
  return seconds > 0 ? `in ${span}` : `${span} ago`;
}
