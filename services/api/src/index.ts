export { createApi, type Api, type ApiOptions, type ListeningAddress } from './app.js';
export type { ApiDeps } from './context.js';
