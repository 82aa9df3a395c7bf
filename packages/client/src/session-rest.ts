import { createRestClient, RestError, routes, type RestClient, type RestClientOptions, type RouteName } from '@chat/contract';

/**
 * The route table's REST client with one addition: an authenticated call made with the
 * client's own token that answers 401 (the token expired, was logged out, or its account is
 * gone) calls `onRefused` with the error, whose message says which — the contract's
 * `onUnauthorized` hook has no words. A call given a token of its own ends nothing.
 */
export function sessionRestClient(options: RestClientOptions, onRefused: (error: RestError) => void): RestClient {
  const rest = createRestClient(options);
  const watched = Object.entries(rest).map(([name, call]) => {
    const spec = routes[name as RouteName];
    const watchedCall = async (input?: { token?: string }): Promise<unknown> => {
      try {
        return await (call as (input?: object) => Promise<unknown>)(input);
      } catch (err) {
        if (err instanceof RestError && err.status === 401 && spec.auth && input?.token === undefined) onRefused(err);
        throw err;
      }
    };
    return [name, watchedCall] as const;
  });
  return Object.fromEntries(watched) as unknown as RestClient;
}
