/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the views share: the findings and the unjudged checks as JSON and as
 * text, one shape for hookctl check and hookctl guest. */
#ifndef VFIOHELP_VIEW_H
#define VFIOHELP_VIEW_H

#include "internal.h"

#include <stdio.h>

#include <json-c/json.h>

json_object *vh_findings_json(const struct vh_finding *list, size_t n);
json_object *vh_unjudged_json(const struct vh_unjudged *list, size_t n);
/* "  [FAIL] id: message" and its "fix:" line. */
void vh_print_finding(FILE *out, const struct vh_finding *f);
/* "Not judged" and one "[ ?? ]" line each (nothing when n is 0). */
void vh_print_unjudged(FILE *out, const struct vh_unjudged *list, size_t n);

#endif
