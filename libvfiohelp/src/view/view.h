/* What the views share: the findings and the unjudged checks as JSON, one
 * shape for hookctl check and hookctl guest. */
#ifndef VFIOHELP_VIEW_H
#define VFIOHELP_VIEW_H

#include "internal.h"

#include <json-c/json.h>

json_object *vh_findings_json(const struct vh_finding *list, size_t n);
json_object *vh_unjudged_json(const struct vh_unjudged *list, size_t n);

#endif
