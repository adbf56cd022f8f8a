/* check.h - when Check is not installed, <check.h> is minicheck.h: the
   test bodies include <check.h> either way.  See ../minicheck.h.  */
#include "../minicheck.h"
