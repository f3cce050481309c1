// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to src/docker: the Engine's JSON, to and from supactl's plain types.

#include <supactl/docker/types.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace supactl::docker {

/// Filters as the `filters` query value: {"term":{"value":true}}.
std::string encode_filters(const Filters& filters);

/// The body of POST /containers/create. Only the first network is put in NetworkingConfig
/// when `multi_network` is false (API < 1.44); the caller connects the rest.
nlohmann::json encode_container(const ContainerSpec& spec, bool multi_network, bool start_interval);

ContainerInfo decode_container_info(const nlohmann::json& j);
ContainerStats decode_container_stats(const nlohmann::json& j);
ContainerSummary decode_container_summary(const nlohmann::json& j);
NetworkInfo decode_network(const nlohmann::json& j);
VolumeInfo decode_volume(const nlohmann::json& j);
ImageInfo decode_image(const nlohmann::json& j);
Event decode_event(const nlohmann::json& j);
std::optional<Healthcheck> decode_healthcheck(const nlohmann::json& j);

/// Semantic version compare of API versions "1.41" < "1.44": <0, 0, >0.
int compare_api(const std::string& a, const std::string& b);

}  // namespace supactl::docker
