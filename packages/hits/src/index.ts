export { VERSION } from '@hitpool/pool';
