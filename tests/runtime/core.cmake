# The scheduler, tasks and sync primitives.
coscope_test(test_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_core.c
  LIBS ${RT_LIBS}
  CASES yield_fifo join cancel deadline deadline_nested sleep_order sleep_from_call
        chan_rendezvous
        chan_buffered chan_close mutex_handoff misuse_outside misuse_nested
        many_tasks detached deadlock_report stack_overflow)

# What the runtime records, against a golden file.
coscope_test(test_trace SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_trace.c
  LIBS ${RT_LIBS} CASES script_golden poll_pairs)
target_compile_definitions(test_trace PRIVATE
  GOLDEN_DIR="${CMAKE_CURRENT_LIST_DIR}/golden")

# The installed library: tests/install (pkg-config and CMake, static and
# shared).

# Load with exact counts (modest sizes; bench/ has the full figures).
coscope_test(test_load SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_load.c
  LIBS ${RT_LIBS} CASES spawn_100k pool_adapts chan_1m mutex_10k echo_10k_traced
  TIMEOUT 300)

# Allocation failure injected at every allocation site in turn.
coscope_test(test_oom SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_oom.c
  LIBS ${RT_LIBS} CASES every_site TIMEOUT 120)
target_link_options(test_oom PRIVATE
  -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup)

# The context switch alone (also cross-run for aarch64 by scripts/test-aarch64.sh).
add_executable(test_switch ${CMAKE_CURRENT_LIST_DIR}/test_switch.c
  ${PROJECT_SOURCE_DIR}/runtime/ctx.c)
if(NOT COSCOPE_PORTABLE_SWITCH AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_sources(test_switch PRIVATE ${PROJECT_SOURCE_DIR}/runtime/switch_x86_64.S)
elseif(NOT COSCOPE_PORTABLE_SWITCH AND CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  target_sources(test_switch PRIVATE ${PROJECT_SOURCE_DIR}/runtime/switch_aarch64.S)
else()
  target_compile_definitions(test_switch PRIVATE CO_PORTABLE_SWITCH=1)
endif()
target_include_directories(test_switch PRIVATE ${PROJECT_SOURCE_DIR}/runtime)
add_test(NAME test_switch.pingpong COMMAND test_switch)
set_tests_properties(test_switch.pingpong PROPERTIES TIMEOUT 30)

# How the runtime fails: misuse, the deadlock verdict, refused calls, big
# frames.
coscope_test(test_fail SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fail.c
  LIBS ${RT_LIBS}
  CASES outside_task unlock_not_held lock_held join_misuse free_waited deadlock_abandon
        deadlock_cancel retry_loops retry_message refused_traced big_frame)

# co_select and the channels' try calls.
coscope_test(test_select SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_select.c
  LIBS ${RT_LIBS} CASES try select select_many select_race select_cancel select_trace)

# Semaphores, condition variables, co_mutex_trylock.
coscope_test(test_sync SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sync.c
  LIBS ${RT_LIBS} CASES sem sem_cancel cond cond_cancel trylock trace)

# Task groups and the cancel shield.
coscope_test(test_group SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_group.c
  LIBS ${RT_LIBS} CASES wait cancel tree deadline shield shield_deadline misuse trace)

# co_now, task-local storage, co_post from other threads.
coscope_test(test_misc SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_misc.c
  LIBS ${RT_LIBS} Threads::Threads CASES now local post spans cancel)

# Signals as a blocking call.
coscope_test(test_signal SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_signal.c
  LIBS ${RT_LIBS} Threads::Threads CASES wait lone_waiter cancel trace)

# The controlled scheduler of COSCOPE_SEED (coscope explore).
coscope_test(test_explore SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_explore.c
  LIBS ${RT_LIBS} CASES same_seed other_seed header no_starvation)
