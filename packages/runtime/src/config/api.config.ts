import { clientFacingFields, clientFacingShape, jwtSecretRule, serviceFields, serviceShape, type ClientFacingConfig, type ServiceConfig } from './common.js';
import { env, parseEnv, type Env } from './env.js';

export interface ApiConfig extends ServiceConfig, ClientFacingConfig {
  /** Failed logins allowed per 5 minutes, per IP and per username. */
  loginLimit: number;
  /** Largest JSON body, as `bytes` reads it: `65536`, `512b`, `16kb`, `1mb`. */
  bodyLimit: string;
  /** Trust X-Forwarded-For (set when behind nginx). */
  trustProxy: boolean;
}

export const apiShape = {
  ...serviceShape(3000),
  ...clientFacingShape,
  RATE_LIMIT_LOGIN: env.int(5),
  BODY_LIMIT: env.byteSize('16kb'),
  TRUST_PROXY: env.bool(false),
};

export function loadApiConfig(source: Env = process.env): ApiConfig {
  const e = parseEnv(apiShape, source, [jwtSecretRule]);
  return {
    ...serviceFields(e),
    ...clientFacingFields(e),
    loginLimit: e.RATE_LIMIT_LOGIN,
    bodyLimit: e.BODY_LIMIT,
    trustProxy: e.TRUST_PROXY,
  };
}
