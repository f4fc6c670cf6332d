# loses: 100,000
# The consumer frees a slot without signalling not_full: a producer waiting for room
# sleeps out its turn of 100 ms every time the ring is full.
/memcpy(text, r->slot\[r->tail++ % SLOTS\].text, n);/{n;d;}
