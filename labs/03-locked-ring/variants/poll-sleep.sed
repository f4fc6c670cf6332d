# loses: sleeps
# A nap and a look instead of a wait on the condition variable: the lock taken and the
# ring looked at a thousand times a second, with nothing to do.
s/^\( *\)int ret = pthread_cond_timedwait(cond, &r->lock, &t);/\1(void) cond, pthread_mutex_unlock(\&r->lock);\n\1nanosleep(\&(struct timespec) { 0, 1000000 }, NULL);\n\1int ret = pthread_mutex_lock(\&r->lock) == 0 ? ETIMEDOUT : EINVAL;/
s/turns < seconds \* 10;/turns < seconds * 1000;/
