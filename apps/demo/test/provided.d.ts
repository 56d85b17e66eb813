// Brings the harness's `inject('redisUrl')` / `inject('redisPort')` typings into this app's tests.
import type {} from '@hitpool/testing/global-setup';
