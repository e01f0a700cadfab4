/**
 * Matches a host name against `webhook.allowed_hosts` globs (`*` matches within and across labels,
 * case-insensitive). An empty list allows every host.
 */
export function hostMatcher(globs: readonly string[]): (host: string) => boolean {
  if (globs.length === 0) return () => true;
  const patterns = globs.map(
    (glob) =>
      new RegExp(
        `^${glob
          .toLowerCase()
          .split("*")
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      ),
  );
  return (host) => {
    const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
    return patterns.some((pattern) => pattern.test(name));
  };
}
