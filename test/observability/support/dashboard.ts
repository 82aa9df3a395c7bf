/**
 * The PromQL of a Grafana dashboard as Prometheus would be sent it: Grafana's interval
 * variables replaced by values that hold enough 1 s scrapes.
 */
const GRAFANA_VARIABLES: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '5m' };

interface Panel {
  title?: string;
  type?: string;
  panels?: Panel[];
  targets?: { expr?: string; refId?: string }[];
}

export interface DashboardExpression {
  /** Panel title and target refId, for messages. */
  panel: string;
  expr: string;
}

/** Every target expression of every panel (rows' nested panels too), variables substituted; an unknown variable throws. */
export function dashboardExpressions(dashboard: unknown): DashboardExpression[] {
  const panels = (dashboard as { panels?: Panel[] }).panels ?? [];
  const all = panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  return all.flatMap((p) =>
    (p.targets ?? []).flatMap((t) => {
      if (!t.expr) return [];
      const expr = t.expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
        const value = GRAFANA_VARIABLES[name];
        if (value === undefined) throw new Error(`${p.title ?? '?'}: unknown variable ${whole} in ${t.expr}`);
        return value;
      });
      return [{ panel: `${p.title ?? '?'} (${t.refId ?? '?'})`, expr }];
    }),
  );
}

/**
 * The metric names an expression selects: identifiers outside label matchers, strings and
 * grouping clauses that are not PromQL's own functions, aggregations or keywords.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const words = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g) ?? [];
  return [...new Set(words.filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w)))];
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN', 'e']);
