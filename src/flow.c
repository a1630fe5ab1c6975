/* flow.c - each worker's share of the byte budget (see flow.h). */
#include "flow.h"

uint64_t tf__flow_share(uint64_t max_in_flight, int nworkers) {
  uint64_t share = max_in_flight / (uint64_t)(nworkers > 0 ? nworkers : 1);
  return share < TF_FLOW_MIN_SHARE ? TF_FLOW_MIN_SHARE : share;
}
