/* export.h -- XLSX and CSV exports of the 台账 (ledger). */
#ifndef ANXIN_CENTRAL_EXPORT_H
#define ANXIN_CENTRAL_EXPORT_H
#include <stddef.h>
#include "anxin/metrics.h"
#include "anxin/store.h"
/* Write the ledger workbook (汇总, 入户宣传明细, 问卷结果) to path.
 * Returns 0, or -1 with a message in err. */
int ax_export_xlsx(ax_store *st, const struct ax_report_opts *opts,
                   const char *path, char *err, size_t errlen);
#endif
