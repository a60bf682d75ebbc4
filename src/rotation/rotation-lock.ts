/** A lease on one secret: at most one rotation of a secret runs at a time, across processes. */
export interface LockLease {
  /** False once the lease could not be renewed: the holder must stop before its next write. */
  held(): boolean;
  /** Resolves once the release is on its way; a release that never arrives ends when the lease expires. */
  release(): Promise<void>;
}

export interface RotationLock {
  /** Undefined when someone else holds the secret. */
  acquire(key: string): Promise<LockLease | undefined>;
}
