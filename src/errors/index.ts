export { RotatorError, isRotatorError } from './rotator-error';
