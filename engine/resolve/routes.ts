// Mailertable lookup: which route, if any, applies to a recipient domain, and what
// that route means. Pure; the resolver turns the answer into destinations.
import type { Route } from '../config/schema.ts';

/**
 * Sendmail mailertable order: the exact domain first, then ".parent" keys from the
 * most specific to the least, then "." (everything). So the longest match wins and
 * ".example.com" matches a.example.com and b.a.example.com but not example.com.
 */
export function findRoute(domain: string, routes: readonly Route[]): Route | undefined {
  const d = domain.toLowerCase();
  const byKey = new Map<string, Route>();
  // The first entry for a key wins, as a duplicate key in a makemap source does not.
  for (const r of routes) {
    const key = r.domain.toLowerCase();
    if (!byKey.has(key)) byKey.set(key, r);
  }
  const exact = byKey.get(d);
  if (exact) return exact;
  const labels = d.split('.');
  for (let i = 1; i < labels.length; i++) {
    const hit = byKey.get('.' + labels.slice(i).join('.'));
    if (hit) return hit;
  }
  return byKey.get('.');
}

export type RouteTarget =
  | { kind: 'smtp'; mailer: 'esmtp' | 'smtp' | 'relay'; nexthop: string; port?: number }
  | { kind: 'local'; user: string | null }
  | { kind: 'error'; status: string; reason: string }
  | { kind: 'invalid'; reason: string };

/** What a route says to do with mail for `domain`. */
export function routeTarget(route: Route, domain: string): RouteTarget {
  const host = route.host.trim();
  switch (route.mailer) {
    case 'esmtp':
    case 'smtp':
    case 'relay': {
      const split = splitHostPort(host);
      if ('error' in split) return { kind: 'invalid', reason: split.error };
      // "esmtp:" with no host means: look up this domain's own MX (Sendmail does the same).
      const nexthop = split.host === '' ? domain : split.host;
      const port = route.port ?? split.port;
      return { kind: 'smtp', mailer: route.mailer, nexthop, ...(port !== undefined ? { port } : {}) };
    }
    case 'local':
      return { kind: 'local', user: host === '' ? null : host.toLowerCase() };
    case 'error':
      return parseErrorRoute(host);
    default:
      return { kind: 'invalid', reason: `unknown mailer "${String((route as Route).mailer)}"` };
  }
}

/** "host", "host:2525", "[10.0.0.5]", "[10.0.0.5]:25". */
export function splitHostPort(host: string): { host: string; port?: number } | { error: string } {
  const m = /^(\[[^\]]+\]|[^:[\]]*)(?::(\d+))?$/.exec(host);
  if (!m) return { error: `bad host "${host}": use host, host:port, [ip] or [ip]:port` };
  if (m[2] === undefined) return { host: m[1] };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return { error: `bad port ${m[2]} in "${host}"` };
  return { host: m[1], port };
}

/**
 * Sendmail's `error:D.S.N:text` (also `error:550 text`, or just `error:text`).
 * RFC 3463 status; a bare reply code gives its class with .0.0 detail.
 */
export function parseErrorRoute(spec: string): RouteTarget {
  const dsn = /^([245]\.\d{1,3}\.\d{1,3}):\s*(?:([245]\d\d)\s+)?(.*)$/.exec(spec);
  if (dsn) return { kind: 'error', status: dsn[1], reason: dsn[3].trim() || 'rejected by route' };
  const code = /^([245])\d\d[\s:]+(.*)$/.exec(spec);
  if (code) return { kind: 'error', status: `${code[1]}.0.0`, reason: code[2].trim() || 'rejected by route' };
  return { kind: 'error', status: '5.0.0', reason: spec || 'rejected by route' };
}

/** "esmtp:[10.0.0.5]:25" — how the address tester and the Routes page show a route. */
export function formatRoute(route: Route): string {
  const port = route.port !== undefined ? `:${route.port}` : '';
  return `${route.mailer}:${route.host}${port}`;
}
