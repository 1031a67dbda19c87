/* The evaluation's internals shared with the hook's repair code. */
#ifndef VFIOHELP_CHECKS_H
#define VFIOHELP_CHECKS_H

#include "internal.h"

#endif
