// authorize_instance over the whole level x action table, and may_grant.
#include "api/authorize.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <utility>

namespace formation::host::api {
namespace {

const std::string kOwner = "0x" + std::string(40, 'a');
const std::string kManager = "0x" + std::string(40, 'b');
const std::string kOperator = "0x" + std::string(40, 'c');
const std::string kReader = "0x" + std::string(40, 'd');
const std::string kStranger = "0x" + std::string(40, 'e');
const std::string kAdmin = "0x" + std::string(40, 'f');

Instance instance() {
  Instance i;
  i.id = "1f";
  i.owner = kOwner;
  return i;
}

std::vector<Grant> grants() {
  auto g = [](const std::string& a, AccessLevel l) {
    Grant grant;
    grant.instance_id = "1f";
    grant.address = a;
    grant.level = l;
    return grant;
  };
  // A grant on another instance must not count.
  Grant elsewhere = g(kStranger, AccessLevel::manager);
  elsewhere.instance_id = "2e";
  return {g(kManager, AccessLevel::manager), g(kOperator, AccessLevel::operator_),
          g(kReader, AccessLevel::read_only), elsewhere};
}

enum class Who { stranger, read_only, operator_, manager, owner, admin };

std::string address_of(Who who) {
  switch (who) {
    case Who::stranger: return kStranger;
    case Who::read_only: return kReader;
    case Who::operator_: return kOperator;
    case Who::manager: return kManager;
    case Who::owner: return kOwner;
    case Who::admin: return kAdmin;
  }
  return kStranger;
}

constexpr auto OK = StatusCode::ok;
constexpr auto NF = StatusCode::not_found;
constexpr auto PD = StatusCode::permission_denied;

TEST(Authorize, EveryLevelTimesEveryAction) {
  const std::vector<Who> who = {Who::stranger, Who::read_only, Who::operator_,
                                Who::manager,  Who::owner,     Who::admin};
  // Columns in the order of `who`.
  const std::map<InstanceAction, std::vector<StatusCode>> table = {
      {InstanceAction::read, {NF, OK, OK, OK, OK, OK}},
      {InstanceAction::start_stop_reboot, {NF, PD, OK, OK, OK, OK}},
      {InstanceAction::manage, {NF, PD, PD, OK, OK, OK}},
      {InstanceAction::delete_instance, {NF, PD, PD, PD, OK, OK}},
      {InstanceAction::transfer, {NF, PD, PD, PD, OK, OK}},
  };
  for (const auto& [action, expected] : table) {
    for (std::size_t i = 0; i < who.size(); ++i) {
      auto st = authorize_instance(address_of(who[i]), who[i] == Who::admin, instance(), grants(),
                                   action);
      EXPECT_EQ(st.code(), expected[i])
          << to_string(action) << " by column " << i << ": " << st.to_string();
    }
  }
}

TEST(Authorize, EmptyCallerSeesNothing) {
  EXPECT_EQ(authorize_instance("", false, instance(), grants(), InstanceAction::read).code(), NF);
}

TEST(Authorize, PermissionDeniedNamesTheLevels) {
  auto st = authorize_instance(kReader, false, instance(), grants(), InstanceAction::manage);
  EXPECT_NE(st.message().find("needs manager"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("you have read_only"), std::string::npos) << st.message();
}

TEST(Authorize, RequiredLevels) {
  EXPECT_EQ(required_level(InstanceAction::read), AccessLevel::read_only);
  EXPECT_EQ(required_level(InstanceAction::start_stop_reboot), AccessLevel::operator_);
  EXPECT_EQ(required_level(InstanceAction::manage), AccessLevel::manager);
  EXPECT_EQ(required_level(InstanceAction::delete_instance), AccessLevel::owner);
  EXPECT_EQ(required_level(InstanceAction::transfer), AccessLevel::owner);
}

using Level = std::optional<AccessLevel>;

TEST(MayGrant, OwnerAndAdminGrantAnythingBelowOwner) {
  for (const auto& caller : {kOwner, kAdmin}) {
    const bool admin = caller == kAdmin;
    for (Level l : {Level(AccessLevel::manager), Level(AccessLevel::operator_),
                    Level(AccessLevel::read_only), Level()}) {
      EXPECT_TRUE(may_grant(caller, admin, instance(), grants(), kManager, l).is_ok());
      EXPECT_TRUE(may_grant(caller, admin, instance(), grants(), kStranger, l).is_ok());
    }
    EXPECT_EQ(may_grant(caller, admin, instance(), grants(), kStranger, AccessLevel::owner).code(),
              StatusCode::invalid);
    EXPECT_EQ(may_grant(caller, admin, instance(), grants(), kOwner, AccessLevel::read_only).code(),
              StatusCode::invalid);
  }
}

TEST(MayGrant, ManagerGrantsAndRemovesOnlyBelowManager) {
  auto m = [](const std::string& grantee, Level l) {
    return may_grant(kManager, false, instance(), grants(), grantee, l).code();
  };
  EXPECT_EQ(m(kStranger, AccessLevel::operator_), OK);
  EXPECT_EQ(m(kStranger, AccessLevel::read_only), OK);
  EXPECT_EQ(m(kStranger, AccessLevel::manager), PD);
  EXPECT_EQ(m(kOperator, AccessLevel::read_only), OK);
  EXPECT_EQ(m(kReader, Level()), OK);
  EXPECT_EQ(m(kOperator, Level()), OK);
  // Another manager's grant (here its own) is out of reach.
  EXPECT_EQ(m(kManager, AccessLevel::read_only), PD);
  EXPECT_EQ(m(kManager, Level()), PD);
  EXPECT_EQ(m(kStranger, AccessLevel::owner), StatusCode::invalid);
}

TEST(MayGrant, BelowManagerCannotGrantAndStrangersSeeNothing) {
  EXPECT_EQ(
      may_grant(kOperator, false, instance(), grants(), kStranger, AccessLevel::read_only).code(),
      PD);
  EXPECT_EQ(may_grant(kReader, false, instance(), grants(), kStranger, Level()).code(), PD);
  EXPECT_EQ(
      may_grant(kStranger, false, instance(), grants(), kReader, AccessLevel::read_only).code(),
      NF);
}

}  // namespace
}  // namespace formation::host::api
