# loses: 100,000
# The consumer frees a slot without signalling not_full: a producer waiting for room
# sleeps out its turn of 100 ms every time the ring is full.
/pthread_cond_signal(&r->not_full)) != 0)  *\/\* a slot is free \*\//,+1d
