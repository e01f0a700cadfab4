/** A URL's host name without the brackets an IPv6 address is written in (`[::1]` -> `::1`). */
export function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Why a `webhook.allowed_hosts` glob is refused, or undefined when it is fine. A `*` must stand
 * for whole labels (`*.example.com`): inside a label it would let `*example.com` match
 * `attacker-example.com`.
 */
export function invalidHostGlob(glob: string): string | undefined {
  const labels = glob.toLowerCase().split(".");
  if (labels.some((label) => label === ""))
    return "expected a host name, such as hooks.example.com";
  if (labels.some((label) => label.includes("*") && label !== "*")) {
    return "a * must stand for whole labels, such as *.example.com";
  }
  return undefined;
}

/**
 * Matches a host name against `webhook.allowed_hosts` globs, case-insensitively. A `*` label
 * stands for one or more whole labels: `*.example.com` matches `a.example.com` and
 * `a.b.example.com`, never `example.com` or `attacker-example.com`. An empty list allows every
 * host. The globs were checked with `invalidHostGlob` when the configuration was read.
 */
export function hostMatcher(globs: readonly string[]): (host: string) => boolean {
  if (globs.length === 0) return () => true;
  const patterns = globs.map(
    (glob) =>
      new RegExp(
        `^${glob
          .toLowerCase()
          .split(".")
          .map((label) => (label === "*" ? "[^.]+(?:\\.[^.]+)*" : escape(label)))
          .join("\\.")}$`,
      ),
  );
  return (host) => {
    const name = bareHost(host).toLowerCase();
    return patterns.some((pattern) => pattern.test(name));
  };
}

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\*]/g, "\\$&");
}
