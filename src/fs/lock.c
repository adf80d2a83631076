/* SPDX-License-Identifier: BSD-3-Clause */
/* lock.c: the tree lock and node locks, taken and released in one place so
 * that a function can assert the locks its contract names. */

/*
 * Every rdlock/wrlock/unlock of fs->tree_lock and every lock/unlock of a
 * node's mutex goes through these.  For the assertions (tree_held(),
 * node_held()):
 *
 * - the tree lock is counted per thread: a thread holds at most one mode
 *   of it (a rwlock cannot be taken twice by one thread without risking a
 *   deadlock), and a process has one mount, so two counters are enough;
 * - a node lock records its holder, written only by the holder, after
 *   taking the lock and before releasing it.  A thread asking whether it
 *   holds @n reads its own writes when it does; when it does not, the
 *   answer is false (or the read races with another thread's write, which
 *   ThreadSanitizer then reports: the caller broke the contract either
 *   way).
 *
 * The counters are the daemon's second per-thread state (architecture.md);
 * like the passthrough slot they describe the calling thread only.
 */
#include <pthread.h>

#include "fs_i.h"

static __thread unsigned tree_readers, tree_writers;

void tree_rdlock(struct hshmfs *fs)
{
	pthread_rwlock_rdlock(&fs->tree_lock);
	tree_readers++;
}

void tree_wrlock(struct hshmfs *fs)
{
	pthread_rwlock_wrlock(&fs->tree_lock);
	tree_writers++;
}

void tree_unlock(struct hshmfs *fs)
{
	if (tree_writers)
		tree_writers--;
	else if (tree_readers)
		tree_readers--;
	pthread_rwlock_unlock(&fs->tree_lock);
}

bool tree_held(bool write)
{
	return write ? tree_writers > 0 : tree_writers + tree_readers > 0;
}

void node_lock(struct hnode *n)
{
	pthread_mutex_lock(&n->lock);
	n->lock_holder = pthread_self();
	n->lock_held = true;
}

void node_unlock(struct hnode *n)
{
	n->lock_held = false;
	pthread_mutex_unlock(&n->lock);
}

bool node_held(const struct hnode *n)
{
	return n->lock_held && pthread_equal(n->lock_holder, pthread_self());
}
