/* outfile.h - what the library shares about files besides the public tf_output_* API (see
 * taskfarm.h): the words for a kind of file, for messages. */
#ifndef TF_OUTFILE_H
#define TF_OUTFILE_H

#include "taskfarm.h"

/* "a directory", "a FIFO (named pipe)", ... for a st_mode. */
const char *tf__file_kind(unsigned mode);

#endif
