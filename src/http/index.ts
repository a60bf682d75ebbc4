export { jsonSender, type SendJson } from './json-sender';
export { listen, type ListeningServer } from './listen';
