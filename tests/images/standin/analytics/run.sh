#!/bin/sh
# supactl kit stand-in for supabase/logflare's run.sh: migrate, then start (a failing migrate
# exits the container).
if [ -f /tmp/.secrets.env ]; then
  . /tmp/.secrets.env
fi
if [ -f ./startup.sh ]; then
  . ./startup.sh
fi
./logflare eval Logflare.Release.migrate && exec ./logflare start --sname logflare
