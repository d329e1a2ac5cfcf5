/** A scripted misbehaviour of the Local Discord, consumed by the next matching requests. */
export interface FaultSpec {
  /** Which requests it hits; all when omitted. `pathIncludes` is tested against the URL path. */
  match?: { method?: string; pathIncludes?: string };
  /** Answer with this status instead of handling the request. */
  status?: 500 | 502 | 503 | 429;
  /** How many matching requests it hits. Default 1. */
  count?: number;
  /** For 429: the wait Discord asks for. Default 1 s; fractions are sent as-is. */
  retryAfterSeconds?: number;
  /** For 429: `X-RateLimit-Scope`. `shared` 429s don't count as invalid requests. Default `user`. */
  scope?: 'user' | 'global' | 'shared';
  /** Wait this long first; without `status`/`timeout` the request is then handled normally. */
  delayMs?: number;
  /** Never answer: the request hangs until the client gives up (or the server closes). */
  timeout?: boolean;
}

interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

export interface FaultController {
  /** Arms a fault for the next `count` (default 1) matching requests; faults apply in arming order. */
  next(spec: FaultSpec): void;
  /** Disarms everything. */
  clear(): void;
  /** Matching requests still to be hit, over all armed faults. */
  readonly pending: number;
}

export class Faults implements FaultController {
  private armed: ArmedFault[] = [];

  next(spec: FaultSpec): void {
    if (spec.status === undefined && !spec.timeout && spec.delayMs === undefined) {
      throw new TypeError('a fault needs a status, timeout: true or delayMs');
    }
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new TypeError('fault count must be a positive integer');
    this.armed.push({ spec, remaining: count });
  }

  clear(): void {
    this.armed = [];
  }

  get pending(): number {
    return this.armed.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  /** The fault that hits this request, if any (and uses one of its shots). */
  take(method: string, path: string): FaultSpec | undefined {
    const index = this.armed.findIndex(({ spec }) => matches(spec, method, path));
    const fault = index === -1 ? undefined : this.armed[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.armed.splice(index, 1);
    return fault.spec;
  }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
  const want = spec.match;
  if (!want) return true;
  if (want.method !== undefined && want.method.toUpperCase() !== method) return false;
  if (want.pathIncludes !== undefined && !path.includes(want.pathIncludes)) return false;
  return true;
}

const SERVER_ERRORS: Record<500 | 502 | 503, string> = {
  500: '500: Internal Server Error',
  502: '502: Bad Gateway',
  503: '503: Service Unavailable',
};

export function serverErrorBody(status: 500 | 502 | 503): { message: string; code: number } {
  return { message: SERVER_ERRORS[status], code: 0 };
}
