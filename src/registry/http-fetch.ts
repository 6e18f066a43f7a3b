/** @module fetch with a timeout that turns network failures into REGISTRY_UNAVAILABLE errors. */
import { GatewayError } from '../errors/gateway-error.js';

/** Minimal fetch signature, injectable for tests. */
export type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Fetches `url` with a timeout (ms). Resolves with any HTTP status; rejects with REGISTRY_UNAVAILABLE
 * on timeouts and network errors. `registry` names the registry in the error.
 */
export async function fetchWithTimeout(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit & { timeoutMs: number; registry: string },
): Promise<Response> {
  const { timeoutMs, registry, ...rest } = init;
  try {
    return await fetchFn(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    throw new GatewayError(
      'REGISTRY_UNAVAILABLE',
      timedOut
        ? `The ${registry} registry did not answer within ${timeoutMs} ms.`
        : `The ${registry} registry could not be reached.`,
      { registry },
      { cause },
    );
  }
}

/** Reads a JSON body, turning garbage into REGISTRY_UNAVAILABLE. */
export async function readJson(res: Response, registry: string): Promise<unknown> {
  try {
    return await res.json();
  } catch (cause) {
    throw new GatewayError(
      'REGISTRY_UNAVAILABLE',
      `The ${registry} registry answered with invalid JSON.`,
      { registry },
      { cause },
    );
  }
}

/** Statuses that mean "the registry does not have it" (405: some registries answer it for unknown scoped names). */
const ABSENT = new Set([404, 405, 410]);

/**
 * GETs a registry document: null when the registry says it does not exist, the response when it is OK;
 * REGISTRY_UNAVAILABLE for any other status, with 401/403 explained as missing credentials.
 */
export async function fetchDocument(
  fetchFn: FetchFn,
  url: string,
  init: { accept?: string; timeoutMs: number; registry: string; baseUrl: string },
): Promise<Response | null> {
  const res = await fetchWithTimeout(fetchFn, url, {
    headers: init.accept ? { accept: init.accept } : {},
    timeoutMs: init.timeoutMs,
    registry: init.registry,
  });
  if (res.ok) return res;
  await res.body?.cancel();
  if (ABSENT.has(res.status)) return null;
  const why =
    res.status === 401 || res.status === 403
      ? ' (the registry requires credentials the gateway does not have)'
      : '';
  throw new GatewayError(
    'REGISTRY_UNAVAILABLE',
    `The ${init.registry} registry answered HTTP ${res.status} for ${url}${why}.`,
    {
      registry: init.baseUrl,
    },
  );
}
