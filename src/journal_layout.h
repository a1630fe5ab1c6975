/* journal_layout.h - byte offsets of the journal's header, records and children (the layout
 * journal.h documents), shared by the reader (journal_read.c) and the writer (journal.c). */
#ifndef TF_JOURNAL_LAYOUT_H
#define TF_JOURNAL_LAYOUT_H

enum {
  H_MAGIC = 0,
  H_VERSION = 8,
  H_LEN = 12,
  H_FINGERPRINT = 16,
  H_ARGS_LEN = 24,
  H_CRC = 28,
  R_MAGIC = 0,
  R_LEN = 4,
  R_CRC = 8,
  B_ID = 0,
  B_RESULT_SIZE = 8,
  B_NCHILDREN = 12,
  C_ID = 0,
  C_PRIO = 8,
  C_SIZE = 12,
};

#endif
