// Brings the harness's `inject('redisUrl')` / `inject('redisPort')` typings into this package.
import type {} from '@hitpool/testing/global-setup';
