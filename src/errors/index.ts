export { RotatorError, isRotatorError, type ErrorCode, type RotatorErrorOptions } from './rotator-error';
