# ax_fuzz(NAME MAXLEN SECONDS LIB... [MIN_RUNS N]): the libFuzzer target fuzz_NAME
# (tests/fuzz/fuzz_NAME.c linked with LIB) and its ctest fuzz.NAME, which runs it
# for SECONDS (0: AX_FUZZ_SECONDS) -- with MIN_RUNS, until N executions, SECONDS
# being only the cap on a loaded machine -- from a copy of the minimised corpus kept in the repo
# (tests/fuzz/corpus/NAME; grown with tests/fuzz/merge.sh) and prints its
# executions.  MAXLEN (0: libFuzzer's default, the longest corpus file)
# bounds the inputs: the CSV importers cost per row, and a few rows reach
# every branch of the header and row code.  Any sanitizer report, UB included, stops the run and fails
# the test.  Included from tests/ and tests/smsd/.
include_guard(GLOBAL)
set(AX_FUZZ_SECONDS 20 CACHE STRING "seconds per fuzz target in ctest")
function(ax_fuzz name maxlen secs)
  cmake_parse_arguments(PARSE_ARGV 3 F "" "MIN_RUNS" "")
  if(NOT F_MIN_RUNS)
    set(F_MIN_RUNS 0)
  endif()
  if(secs EQUAL 0)
    set(secs ${AX_FUZZ_SECONDS})
  endif()
  add_executable(fuzz_${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c)
  target_link_libraries(fuzz_${name} PRIVATE ${F_UNPARSED_ARGUMENTS})
  target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/survey/src)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  add_test(NAME fuzz.${name}
    COMMAND sh ${PROJECT_SOURCE_DIR}/tests/fuzz/run.sh $<TARGET_FILE:fuzz_${name}>
      ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name} ${secs} ${maxlen} ${F_MIN_RUNS})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS "fuzz" TIMEOUT 300
    ENVIRONMENT "TZ=Asia/Shanghai;LC_ALL=C.UTF-8;ANXIN_SOURCE=${PROJECT_SOURCE_DIR};UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1;ASAN_OPTIONS=abort_on_error=1")
endfunction()
