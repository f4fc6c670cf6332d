# loses: through the mappings
# The copy by a call: pwrite from SOURCE's mapping into DEST's descriptor, not memcpy
# into DEST's mapping. The bytes are right; the lab's point (no read, no write) is missed.
s/^        memcpy(out, in, size);$/        if (pwrite(out_fd, in, size, 0) != (ssize_t) size) {\
            warn("pwrite(%s)", dst);\
            goto out_unmap;\
        }/
