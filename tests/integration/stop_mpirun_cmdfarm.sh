#!/bin/sh
# SIGUSR1, SIGTERM and SIGINT to a plain mpirun running the command farm, at random moments:
# see stop_mpirun.inc.
APP=cmdfarm
. "$(dirname "$0")/stop_mpirun.inc"
