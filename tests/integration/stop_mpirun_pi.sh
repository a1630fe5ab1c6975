#!/bin/sh
# SIGUSR1, SIGTERM and SIGINT to a plain mpirun running the pi app, at random moments:
# see stop_mpirun.inc.
APP=pi
. "$(dirname "$0")/stop_mpirun.inc"
