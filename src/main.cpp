// SPDX-License-Identifier: Apache-2.0
#include <supactl/cli/app.hpp>

int main(int argc, char** argv) { return supactl::cli::run(argc, argv); }
