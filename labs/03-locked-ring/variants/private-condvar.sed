# loses: 100,000
# No PTHREAD_PROCESS_SHARED on the condition variables: a signal wakes only a waiter of
# its own process, so each side sleeps out its 100 ms turn before it sees the other.
/pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED)/d
