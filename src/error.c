/* error.c - the names of the library's error codes. */
#include "handle.h"
#include "taskfarm.h"

const char *tf_strerror(int code) {
  switch (code) {
  case TF_OK: return "success";
  case TF_EINVAL: return "invalid argument";
  case TF_ENOMEM: return "out of memory";
  case TF_ETOOBIG: return "payload larger than the limit (--max-payload)";
  case TF_EPROTO: return "malformed or unexpected message";
  case TF_EMPI: return "MPI error";
  case TF_EAPP: return "an app callback failed";
  case TF_EUSAGE: return "bad command line";
  case TF_ESTATE: return "call not allowed here";
  case TF_EHELP: return "help or version requested";
  case TF_ESTOPPED: return "stopped by a signal before the end (resumable)";
  case TF_EJOURNAL: return "the journal could not be read, written or trusted";
  case TF_EIO: return "a file could not be made, written or renamed";
  default: return "unknown error";
  }
}

const char *tf__rc_hint(int rc) {
  switch (rc) {
  case TF_EINVAL: return ": invalid argument";
  case TF_ENOMEM: return ": out of memory";
  case TF_ETOOBIG: return ": payload larger than the limit (--max-payload)";
  case TF_ESTATE: return ": call not allowed here";
  default: return "";
  }
}
