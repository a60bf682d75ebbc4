/*
 * The rotation protocol of src/rotation (rotateSecret + recoverInterrupted), as a Promela model for SPIN.
 * `npm run model` (model/run.mjs) checks it exhaustively; README "The protocol, proven" says what that
 * proves and under which assumptions.
 *
 * One managed secret whose target lives outside Key Vault (the external path: pending record first).
 * Credentials are small numbers: 1 is the initial one, 2..MAXV are generated, one per rotation.
 *
 * Switches (-D):
 *   TARGET_MULTI     the target holds several credentials (Entra application passwords): apply adds
 *                    one, retire removes all but the committed one. Default: one password per account
 *                    (PostgreSQL, Entra users): apply replaces it, retire has nothing left to remove.
 *   UNSOUND_VERIFY   control: a verify that cannot say no (a target that accepts anything).
 *   COMMIT_UNFENCED  control: the commit skips its fencing check.
 *   RECOVERY_UNCLAIMED, PREPARE_UNFENCED, CURRENT_NOT_REREAD
 *                    controls: one part of the fencing left out (each was a counterexample on the way).
 *   FENCE_GAP        a fencing check and the write it guards as two steps (the window the lease covers).
 *   LEGACY           the protocol before fencing (no owner claim, no fencing checks), kept to replay
 *                    the counterexamples it has.
 * Bounds (-D): NW workers, MAXRUNS jobs each, MAXCRASH crashes and MAXLOST lease losses in all,
 * MAXTRIG triggers.
 * A counterexample by hand: spin -DCOMMIT_UNFENCED -a rotation.pml; gcc -DSAFETY -DREVERSE -o pan pan.c;
 * ./pan; spin -DCOMMIT_UNFENCED -t rotation.pml (the MSC lines name each worker's steps).
 */
#ifndef NW
#define NW 2
#endif
#ifndef MAXRUNS
#define MAXRUNS 2
#endif
#ifndef MAXCRASH
#define MAXCRASH 2
#endif
#ifndef MAXLOST
#define MAXLOST 2
#endif
#ifndef MAXTRIG
#define MAXTRIG 2
#endif
#ifndef MAXV
#define MAXV 5
#endif

/* Pending-record states (tag rotation-state); NONE is "no such version". */
#define NONE 0
#define PREPARED 1
#define COMMITTED 2
#define ROLLEDBACK 3

#define BIT(v) (1 << (v))

/* The code's onStep names (ROTATION_STEPS in src/rotation/rotation-types.ts), in the code's order
   ('-' in the code is '_' here). overlap_retired and proved change no modelled state: the model
   rotates with zero overlap (the previous credential retired at `retired`), and the proof is a read
   plus a tag write on the committed version. */
mtype = { locked, overlap_retired, prepared, applied, verified, committed, retired, proved, closed }; /* @onStep */
/* What recovery found (Recovered['kind'] in src/rotation/recover-interrupted.ts). */
mtype = { finished_commit, committed_pending, rolled_back, restored_previous }; /* @recovery */

/* ---- Key Vault: the managed secret ---- */
byte cur = 1;          /* value of the current (latest) version */
byte cur_rid = 0;      /* its rotation-id tag: the rotation (= its value) that committed it, 0 = none */
byte cur_at = 0;       /* its rotated-at tag, in logical time */
short kv_vers = BIT(1);/* values of all enabled versions (Key Vault never deletes one) */
/* ---- Key Vault: the pending record, one version per rotation, version v holds value v ---- */
byte p_latest = 0;     /* the latest version, what get(pendingName) returns; 0 = no record yet */
byte pstate[MAXV + 1]; /* rotation-state tag of each version */
byte powner[MAXV + 1]; /* rotation-owner tag: the run that may act on it (fencing) */
/* ---- The target ---- */
short acc = BIT(1);    /* credentials the target accepts */
short gone = 0;       /* credentials the protocol has retired */
/* ---- Redis and the environment ---- */
byte lock_owner = 0;   /* the run holding the Redis lease on the secret, 0 = free */
byte now = 1;          /* logical clock: trigger k happens at time k */
byte ntrig = 1;        /* triggers so far; a job of trigger k carries triggeredAt = k */
byte nextv = 1;        /* last generated value */
byte crashes = 0;
byte lost = 0;
short everc = BIT(1);  /* values ever committed */
byte ncommits = 0;     /* committed rotations (first commit of a generated value) */

#ifdef UNSOUND_VERIFY
#define VERIFY(v) (true)
#else
#define VERIFY(v) ((acc & BIT(v)) != 0)
#endif

#ifdef LEGACY
#define FENCE(v) (true)
#define PREPARE_FENCE (true)
#define CLAIM(v) skip
#else
/* The fencing check (assertFenced in src/rotation/fencing.ts): the latest pending version is the one
   this run acts on, still open, and this run owns it. Another worker must change this state (write a
   new version, close it or claim it) before it touches the target or the managed secret. */
#define FENCE(v) (p_latest == (v) && pstate[v] == PREPARED && OWNED(v))
/* Before a new pending version is written: the latest one is still the one recovery read, and not open
   (a new version would hide an open one from every later recovery). */
#ifdef PREPARE_UNFENCED
#define PREPARE_FENCE (true)
#else
#define PREPARE_FENCE (p_latest == pv && pstate[pv] != PREPARED)
#endif
/* Recovery claims the open record before it asks the target anything: a tag write on that version,
   carrying the state recovery read (so a stale claim can re-open a closed record; the model covers it). */
#ifdef RECOVERY_UNCLAIMED
#define CLAIM(v) skip
#define OWNED(v) (true)
#else
#define OWNED(v) (powner[v] == token)
#define CLAIM(v) atomic { pstate[v] = PREPARED; powner[v] = token }
#endif
#endif
#ifdef COMMIT_UNFENCED
#define COMMIT_FENCE(v) (true)
#else
#define COMMIT_FENCE(v) FENCE(v)
#endif

/* A fenced write: the check and the write are one step (the README's assumption). FENCE_GAP splits
   them, to show what the lease still has to protect: a takeover landing between a check and its write. */
#ifdef FENCE_GAP
#define GUARDED(check, action) atomic { if :: check -> skip :: else -> goto release fi }; atomic { action }
#else
#define GUARDED(check, action) atomic { if :: check -> action :: else -> goto release fi }
#endif

/* Closing a version rewrites its tags without the owner (as the code does). */
#define CLOSE(v, state) pstate[v] = state; powner[v] = 0

#define STEP(s) printf("MSC: w%d %e\n", w, s)
#define RECOVERY(k) printf("MSC: w%d recovery %e\n", w, k)
/* A crash (kill -9, lost container) between any two effects; the job is retried by a new run. */
#define CRASH if :: !clean && crashes < MAXCRASH -> crashes++; goto crashed :: true -> skip fi

#define COMMIT(v, rid) \
  cur = v; cur_rid = rid; cur_at = now; kv_vers = kv_vers | BIT(v); \
  if :: (everc & BIT(v)) == 0 -> everc = everc | BIT(v); ncommits++ :: else -> skip fi

#ifdef TARGET_MULTI
#define APPLY(v) acc = acc | BIT(v)
/* Entra apps: removes every rotator-made password but the committed one. */
#define RETIRE(keep) gone = gone | (acc & ~BIT(keep)); acc = acc & BIT(keep)
#else
#define APPLY(v) acc = BIT(v)
/* A single password was replaced by apply: nothing is left to remove. */
#define RETIRE(keep) skip
#endif

/* Nothing lost: Key Vault's current version or the open pending record holds an accepted credential;
   and no retired credential is accepted again. */
#define OPEN_BIT (pstate[p_latest] == PREPARED -> BIT(p_latest) : 0)
#define SAFE ((acc & (BIT(cur) | OPEN_BIT)) != 0 && (acc & gone) == 0 && ncommits <= ntrig)

active proctype monitor() {
end_watch:
  atomic { !SAFE -> assert(SAFE) }
}

proctype environment() {
  do
  :: ntrig < MAXTRIG -> atomic { now++; ntrig++ }          /* a schedule or usage trigger */
  :: lost < MAXLOST && lock_owner != 0 ->                  /* lease expiry while the holder is slow, */
       atomic { lock_owner = 0; lost++ }                  /* or Redis lost: locks (and jobs) gone */
  :: break
  od
}

/* One worker process; `clean` is the final run after everything went quiet (no crash, lease free). */
proctype worker(byte w; bit clean) {
  byte runs = 0;
  byte trig, token;
  byte c, crid, cat;   /* the current version as this run read it */
  byte pv;             /* the pending record's latest version as read */
  byte mine, cand;
  short snap;

next_job:
  atomic {
    c = 0; crid = 0; cat = 0; pv = 0; mine = 0; cand = 0; snap = 0; trig = 0;
    if
    :: clean && runs == 0 -> skip
    :: !clean && runs < MAXRUNS ->                 /* any job, again and again: retries, duplicates */
         trig = 1;
         do
         :: trig < ntrig -> trig++
         :: break
         od
    :: else -> goto stop
    fi;
    runs++;
    token = w * 8 + runs
  }
  /* locked: the Redis lease (SET NX PX); held by someone else = ROTATION_LOCKED, job postponed */
  atomic {
    if
    :: lock_owner == 0 || clean -> lock_owner = token; STEP(locked)
    :: else -> goto next_job
    fi
  }
  atomic { c = cur; crid = cur_rid; cat = cur_at }        /* store.get(secret) */

  /* ---- recoverInterrupted ---- */
  atomic { pv = p_latest; if :: pstate[pv] != PREPARED -> goto closed_record :: else -> skip fi }
  CRASH;
  CLAIM(pv);
  if
  :: crid == pv ->                                         /* crashed after the commit */
       CRASH;
       GUARDED(FENCE(pv), RETIRE(c));
       CRASH;
       atomic { CLOSE(pv, COMMITTED); RECOVERY(finished_commit) };
       goto satisfied
  :: else -> skip
  fi;
  if
  :: VERIFY(pv) ->                                         /* the target took the pending value */
       CRASH;
       GUARDED(COMMIT_FENCE(pv), COMMIT(pv, pv));
       c = pv; crid = pv; cat = now;
       CRASH;
       GUARDED(FENCE(pv), RETIRE(pv));
       CRASH;
       atomic { CLOSE(pv, COMMITTED); RECOVERY(committed_pending) };
       goto satisfied
  :: else -> skip
  fi;
  if
  :: VERIFY(c) ->                                          /* the target never took it */
       CRASH;
       GUARDED(FENCE(pv), RETIRE(c));
       CRASH;
       atomic { CLOSE(pv, ROLLEDBACK); RECOVERY(rolled_back) };
       goto satisfied
  :: else -> skip
  fi;
  snap = kv_vers & ~BIT(c);                                /* store.listVersions(secret) */
  atomic {
    cand = 1;
    do
    :: cand <= MAXV && (snap & BIT(cand)) != 0 && VERIFY(cand) -> snap = 0; break
    :: cand <= MAXV && !((snap & BIT(cand)) != 0 && VERIFY(cand)) -> cand++
    :: cand > MAXV -> goto release                         /* ROTATION_UNRECOVERABLE: quarantined */
    od
  }
  CRASH;
  GUARDED(COMMIT_FENCE(pv), COMMIT(cand, pv));
  c = cand; crid = pv; cat = now;
  CRASH;
  atomic { CLOSE(pv, ROLLEDBACK); RECOVERY(restored_previous) };

  goto satisfied;
closed_record:
#if !defined(LEGACY) && !defined(CURRENT_NOT_REREAD)
  /* The closed record names a later rotation than the current version read: that read is stale. */
  if
  :: pv != 0 && pv != crid -> atomic { c = cur; crid = cur_rid; cat = cur_at }
  :: else -> skip
  fi;
#endif
satisfied:
  /* a rotation committed at or after the trigger satisfies it */
  atomic {
    if
    :: cat >= trig -> goto release
    :: else -> crid = 0; cat = 0; trig = 0;                /* dead from here: fewer states */
         STEP(overlap_retired)                             /* no older credential overlaps here */
    fi
  }

  /* ---- a new rotation ---- */
  CRASH;
  atomic {
    if
    :: nextv < MAXV && PREPARE_FENCE ->
         nextv++; mine = nextv;
         p_latest = mine; pstate[mine] = PREPARED; powner[mine] = token;
         c = 0; pv = 0;
         STEP(prepared)
    :: else -> goto release          /* fenced off, or the model's values are used up */
    fi
  }
  CRASH;
  GUARDED(FENCE(mine), APPLY(mine); STEP(applied));
  atomic { if :: VERIFY(mine) -> STEP(verified) :: else -> goto release fi };   /* VERIFY_FAILED */
  CRASH;
  GUARDED(COMMIT_FENCE(mine), COMMIT(mine, mine); STEP(committed));
  CRASH;
  GUARDED(FENCE(mine), RETIRE(mine); STEP(retired); STEP(proved));
  CRASH;
  atomic { CLOSE(mine, COMMITTED); STEP(closed) };

release:
  atomic { if :: lock_owner == token -> lock_owner = 0 :: else -> skip fi };
  goto next_job;
crashed:
  goto next_job;                                           /* the lease stays until it expires */
stop:
  skip
}

init {
  byte i;
  atomic {
    i = 1;
    do
    :: i <= NW -> run worker(i, 0); i++
    :: else -> break
    od;
    run environment()
  }
  /* Quiet: every worker and the environment are done. One more run (a retry or the next sweep) with
     the lease free and no crash must leave the current version accepted and no record open. */
  _nr_pr == 2;
  run worker(NW + 1, 1);
  _nr_pr == 2;
  assert((acc & BIT(cur)) != 0 && pstate[p_latest] != PREPARED);
#ifndef TARGET_MULTI
  assert(acc == BIT(cur));
#endif
}
