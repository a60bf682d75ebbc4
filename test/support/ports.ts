/** A free TCP port on loopback: the bench's helper, shared so there is one. */
export { freePort } from '../../tools/bench/processes';
