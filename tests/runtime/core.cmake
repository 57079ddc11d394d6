# The scheduler, tasks and sync primitives.
coscope_test(test_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_core.c
  LIBS ${RT_LIBS}
  CASES yield_fifo join cancel deadline sleep_order chan_rendezvous
        chan_buffered chan_close mutex_handoff misuse_outside misuse_nested
        many_tasks detached deadlock_report stack_overflow)
