/* The C tests' one assertion: counts checks and failures, reports each failure. */
#ifndef GWM_TEST_CHECK_H
#define GWM_TEST_CHECK_H
#include <stdio.h>

static int failures, checks;
#define CHECK(cond)                                                              \
    do {                                                                         \
        checks++;                                                                \
        if (!(cond)) {                                                           \
            failures++;                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)
#endif
