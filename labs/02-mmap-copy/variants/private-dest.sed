# loses: short text
# DEST mapped MAP_PRIVATE: the memcpy goes to the process's own copy of the pages,
# the file keeps its zeros (lesson 06's rw-p).
s/PROT_READ | PROT_WRITE, MAP_SHARED, out_fd, 0)/PROT_READ | PROT_WRITE, MAP_PRIVATE, out_fd, 0)/
