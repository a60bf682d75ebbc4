export { jsonSender, type SendJson } from './json-sender';
export { listen, type ListeningServer } from './listen';
export { getBounded, type BoundedAnswer, type BoundedGetOptions } from './get-bounded';
export { retryAfterMs, type HeaderReader } from './retry-after';
