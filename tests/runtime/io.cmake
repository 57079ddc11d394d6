# tests/runtime/io.cmake: TCP, files and thread-pool offload (runtime/io_tcp.c,
# io_fs.c, work.c). Included by tests/runtime/CMakeLists.txt.
coscope_test(test_io SOURCES test_io.c LIBS ${RT_LIBS} PkgConfig::CJSON
  CASES echo refused port eof eof_parked write_gone cancel_read deadline_read
        cancel_write cancel_accept close_wakes idle_listener read_watch cancel_connect
        fairness close_all
        fs_roundtrip fs_missing trace
  TIMEOUT 30)
coscope_test(test_work SOURCES test_work.c LIBS ${RT_LIBS}
  CASES offload cancel_queued cancel_running deadline_queued fs_cancel_queued
        trace
  TIMEOUT 30)

# Buffered reads: co_read_line, co_read_exact.
coscope_test(test_iobuf SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_iobuf.c
  LIBS ${RT_LIBS} CASES lines mixed cancel deadline trace)

# Host names (getaddrinfo, traced as op dns) and IPv6.
coscope_test(test_dns SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dns.c
  LIBS ${RT_LIBS} CASES names cancel deadline trace)

# The file calls a server makes: stat, rename, unlink, mkdir, fsync, readdir.
coscope_test(test_fs SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fs.c
  LIBS ${RT_LIBS} CASES calls cancel deadline trace)

# Half-close, peer/local addresses, TCP_NODELAY and keepalive.
coscope_test(test_sock SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sock.c
  LIBS ${RT_LIBS} CASES shutdown addresses options trace closing reset
        shutdown_cancel shutdown_deadline)

# UDP.
coscope_test(test_udp SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_udp.c
  LIBS ${RT_LIBS} CASES exchange cancel send_refused trace)

# Subprocesses on uv_spawn.
coscope_test(test_proc SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_proc.c
  LIBS ${RT_LIBS} CASES pipes status cancel deadline busy trace)
